using System.Net.Http.Headers;
using System.Text;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// A user over BOSH as Strophe.js drives it: <c>hold=1</c>, so at most two requests out; what the
/// user sends is queued and goes out on the next request that may leave (everything queued in one
/// body); an empty request goes out only when none is out, so one is always held while idle;
/// requests leave in rid order, answers are taken in rid order, the same rid is resent on a 5xx.
/// With <paramref name="acks"/> (Strophe.js does not) it acknowledges answers as XEP-0124 §9.1 says: <c>ack</c> on every
/// request, the highest rid up to which it has taken every answer.
/// </summary>
internal sealed class BoshUser(HttpClient http, Uri url, string domain, int wait, bool acks = false) : IXmppUser
{
    private const int MaxOutstanding = 2; // hold + 1
    private static readonly bool Trace = Environment.GetEnvironmentVariable("BOSH_TRACE") == "1";
    private readonly Inbox _inbox = new();
    private readonly Lock _sync = new();
    private readonly SortedDictionary<long, string> _early = [];
    private readonly Queue<(string Payload, string Attributes, TaskCompletionSource<string>? Answered)> _queue = new();
    private readonly CancellationTokenSource _stop = new();
    private long _rid = Random.Shared.NextInt64(1L << 40, 1L << 50);
    private long _nextToTake;
    private string _sid = "";
    private int _outstanding;
    private bool _pollScheduled;
    private Task _lastWritten = Task.CompletedTask;
    private bool _ended;

    public string Jid { get; set; } = "";

    public bool Ended => Volatile.Read(ref _ended) && !_stop.IsCancellationRequested;

    public Action<string>? OnMessage
    {
        get => _inbox.OnMessage;
        set => _inbox.OnMessage = value;
    }

    public Action<string>? OnXml
    {
        get => _inbox.OnXml;
        set => _inbox.OnXml = value;
    }

    /// <summary>Requests resent after an HTTP 5xx (the same rid, as XEP-0124 says), by all BOSH users of this process; the session-creation ones also apart.</summary>
    public static int Resent5xx, ResentCreation5xx;

    public async Task LoginAsync(Credentials credentials, bool bind, CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken);
        Jid = await XmppLogin.RunAsync(_inbox, xml => Send(xml, ""), () => Send("", $"xmpp:restart='true' to='{domain}' xml:lang='en'"), credentials, bind, cancellationToken);
    }

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var rid = Interlocked.Increment(ref _rid);
        _nextToTake = rid;
        var created = await PostAsync(rid, $"to='{domain}' xml:lang='en' wait='{wait}' hold='1' ver='1.6' xmpp:version='1.0'{(acks ? " ack='1'" : "")}", "", Task.CompletedTask, null, cancellationToken);
        _sid = Stanzas.Attribute(created, "sid") ?? throw new InvalidOperationException("no sid in the session creation answer: " + created);
        Pump();
        await XmppLogin.WaitForFeaturesAsync(_inbox, cancellationToken);
    }

    public Task SendMessageAsync(string to, string body, CancellationToken cancellationToken) => Send(Stanzas.Message(to, body), "");

    public Task SendRawAsync(string xml, CancellationToken cancellationToken) => Send(xml, "");

    /// <summary>Queues a payload (or, with attributes, a body of its own, such as a restart) and lets the queue move.</summary>
    private Task Send(string payload, string attributes, TaskCompletionSource<string>? answered = null)
    {
        lock (_sync)
        {
            _queue.Enqueue((payload, attributes, answered));
        }
        Pump();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends what is queued if a request may leave; with nothing queued and nothing out, sends an
    /// empty request a moment later (as Strophe.js's idle handler does), so a stanza an answer prompts
    /// (the bind after a restart) goes out alone rather than beside an empty request.
    /// </summary>
    private void Pump()
    {
        lock (_sync)
        {
            if (_ended || _sid.Length == 0 || _stop.IsCancellationRequested)
            {
                return;
            }
            if (_queue.Count > 0 && _outstanding < MaxOutstanding)
            {
                var (payload, attributes, answered) = _queue.Dequeue();
                // Plain stanzas travel together; a body with attributes (restart, terminate) goes alone.
                if (attributes.Length == 0 && answered is null)
                {
                    while (_queue.TryPeek(out var next) && next.Attributes.Length == 0 && next.Answered is null)
                    {
                        payload += _queue.Dequeue().Payload;
                    }
                }
                Start(payload, attributes, answered);
            }
            else if (_queue.Count == 0 && _outstanding == 0 && !_pollScheduled)
            {
                _pollScheduled = true;
                _ = PollSoonAsync();
            }
        }
    }

    private async Task PollSoonAsync()
    {
        try
        {
            await Task.Delay(1, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_sync)
        {
            _pollScheduled = false;
            if (_queue.Count == 0 && _outstanding == 0 && !_ended)
            {
                Start("", "", null);
                return;
            }
        }
        Pump();
    }

    /// <summary>Starts one request (the caller holds the lock).</summary>
    private void Start(string payload, string attributes, TaskCompletionSource<string>? answered)
    {
        var rid = ++_rid;
        var previous = _lastWritten;
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _lastWritten = written.Task;
        _outstanding++;
        _ = RunAsync(rid, payload, attributes, previous, written, answered);
    }

    private async Task RunAsync(long rid, string payload, string attributes, Task previous, TaskCompletionSource written, TaskCompletionSource<string>? answered)
    {
        try
        {
            var ack = acks ? $" ack='{Interlocked.Read(ref _nextToTake) - 1}'" : "";
            var answer = await PostAsync(rid, $"sid='{_sid}'{ack} {attributes}", payload, previous, written, _stop.Token);
            if (Stanzas.IsTerminate(answer))
            {
                _ended = true;
                _inbox.End("terminated: " + answer);
            }
            answered?.TrySetResult(answer);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
            answered?.TrySetException(ex);
            if (!_stop.IsCancellationRequested)
            {
                _ended = true;
                _inbox.End($"request {rid} failed: {ex.Message}");
                Console.Error.WriteLine($"bosh request {rid}: {ex.Message}");
            }
        }
        lock (_sync)
        {
            _outstanding--;
        }
        Pump();
    }

    /// <summary>
    /// Posts one body once the previous rid's body is on the wire (a page's script issues its requests
    /// in rid order too; some servers stall when a higher rid overtakes a lower one).
    /// </summary>
    private async Task<string> PostAsync(long rid, string attributes, string payload, Task previous, TaskCompletionSource? written, CancellationToken cancellationToken)
    {
        var xml = Encoding.UTF8.GetBytes($"<body rid='{rid}' {attributes} xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'>{payload}</body>");
        try
        {
            await previous.WaitAsync(cancellationToken);
            for (var attempt = 0; ; attempt++)
            {
                using var content = new OrderedContent(xml, written);
                if (Trace)
                {
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {_sid} -> {Encoding.UTF8.GetString(xml)}");
                }
                using var response = await http.PostAsync(url, content, cancellationToken);
                if ((int)response.StatusCode >= 500 && attempt < 5)
                {
                    Interlocked.Increment(ref Resent5xx);
                    if (_sid.Length == 0)
                    {
                        Interlocked.Increment(ref ResentCreation5xx);
                    }
                    await Task.Delay(200, cancellationToken);
                    continue;
                }
                response.EnsureSuccessStatusCode();
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (Trace)
                {
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {_sid} <- {rid}: {text}");
                }
                Take(rid, text);
                return text;
            }
        }
        finally
        {
            written?.TrySetResult();
        }
    }

    /// <summary>A BOSH body that says when it has been written to the connection.</summary>
    private sealed class OrderedContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly TaskCompletionSource? _written;

        public OrderedContent(byte[] body, TaskCompletionSource? written)
        {
            _body = body;
            _written = written;
            Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(_body, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            _written?.TrySetResult();
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
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

    public void Abort() => _stop.Cancel();

    public async ValueTask DisposeAsync()
    {
        // After Abort nothing more is sent: no logout.
        if (_sid.Length > 0 && !_stop.IsCancellationRequested && !_ended)
        {
            var answered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            // Logged in: unavailable presence with the terminate, as Strophe.js does; a session that never logged in (session-start) just ends.
            await Send(Jid.Length > 0 ? "<presence type='unavailable' xmlns='jabber:client'/>" : "", "type='terminate'", answered);
            try
            {
                await answered.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or HttpRequestException)
            {
            }
        }
        await _stop.CancelAsync();
        for (var i = 0; i < 100 && Volatile.Read(ref _outstanding) > 0; i++)
        {
            await Task.Delay(20);
        }
        _stop.Dispose();
        _inbox.Dispose();
    }
}
