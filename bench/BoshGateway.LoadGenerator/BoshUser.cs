using System.Net.Http.Headers;
using System.Text;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// A user over BOSH as a browser library drives it: <c>hold=1</c>, one empty request always held,
/// payload on a second request, answers taken in rid order, the same rid resent on a 5xx.
/// </summary>
internal sealed class BoshUser(HttpClient http, Uri url, string domain, int wait) : IXmppUser
{
    private readonly Inbox _inbox = new();
    private readonly Lock _sync = new();
    private readonly SortedDictionary<long, string> _early = [];
    private readonly CancellationTokenSource _stop = new();
    private long _rid = Random.Shared.NextInt64(1L << 40, 1L << 50);
    private long _nextToTake;
    private string _sid = "";
    private Task _polling = Task.CompletedTask;

    public string Jid { get; private set; } = "";

    public Action<string>? OnMessage
    {
        get => _inbox.OnMessage;
        set => _inbox.OnMessage = value;
    }

    public async Task LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        var rid = Interlocked.Increment(ref _rid);
        _nextToTake = rid;
        var created = await PostAsync(rid, $"to='{domain}' xml:lang='en' wait='{wait}' hold='1' ver='1.6' xmpp:version='1.0'", "", cancellationToken);
        var at = created.IndexOf("sid='", StringComparison.Ordinal) is var i and >= 0 ? i + 5 : created.IndexOf("sid=\"", StringComparison.Ordinal) + 5;
        _sid = created[at..created.IndexOfAny(['\'', '"'], at)];
        _polling = PollAsync();
        Jid = await XmppLogin.RunAsync(_inbox, xml => SendAsync(xml, "", cancellationToken),
            () => SendAsync("", $"xmpp:restart='true' to='{domain}' xml:lang='en'", cancellationToken), user, password, cancellationToken);
    }

    public Task SendMessageAsync(string to, string body, CancellationToken cancellationToken) => SendAsync(Stanzas.Message(to, body), "", cancellationToken);

    private Task<string> SendAsync(string payload, string attributes, CancellationToken cancellationToken) =>
        PostAsync(Interlocked.Increment(ref _rid), $"sid='{_sid}' {attributes}", payload, cancellationToken);

    private async Task PollAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var answer = await SendAsync("", "", _stop.Token);
                if (answer.Contains("type='terminate'", StringComparison.Ordinal) || answer.Contains("type=\"terminate\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
            {
                return;
            }
        }
    }

    private async Task<string> PostAsync(long rid, string attributes, string payload, CancellationToken cancellationToken)
    {
        var xml = $"<body rid='{rid}' {attributes} xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'>{payload}</body>";
        for (var attempt = 0; ; attempt++)
        {
            using var content = new StringContent(xml, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "utf-8" };
            using var response = await http.PostAsync(url, content, cancellationToken);
            if ((int)response.StatusCode >= 500 && attempt < 5)
            {
                await Task.Delay(200, cancellationToken);
                continue;
            }
            response.EnsureSuccessStatusCode();
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Take(rid, text);
            return text;
        }
    }

    /// <summary>Hands answers to the inbox in rid order, as clients must (they can arrive crossed).</summary>
    private void Take(long rid, string body)
    {
        lock (_sync)
        {
            if (rid < _nextToTake)
            {
                return;
            }
            _early[rid] = body;
            while (_early.Remove(_nextToTake, out var next))
            {
                _inbox.Add(next);
                _nextToTake++;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_sid.Length > 0)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await SendAsync("<presence type='unavailable' xmlns='jabber:client'/>", "type='terminate'", cts.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
        }
        await _stop.CancelAsync();
        await _polling;
        _stop.Dispose();
        _inbox.Dispose();
    }
}
