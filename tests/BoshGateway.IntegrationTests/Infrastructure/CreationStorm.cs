using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>BOSH session creations as fast as some connections can send them (robustness.md D1), counted by outcome.</summary>
internal static class CreationStorm
{
    /// <summary>A session creation request (rid 100, hold 1).</summary>
    public static string Body(string domain, int wait) => $"<body rid='100' to='{domain}' wait='{wait}' hold='1' xmlns='http://jabber.org/protocol/httpbind'/>";

    /// <summary>The empty request that follows a creation (rid 101): the session's first long-poll.</summary>
    public static string FirstPoll(string sid) => $"<body rid='101' sid='{sid}' xmlns='http://jabber.org/protocol/httpbind'/>";

    /// <summary>Creates one session, which must succeed; returns its sid.</summary>
    public static async Task<string> CreateOneAsync(HttpClient http, Uri boshUrl, string domain, int wait)
    {
        var answer = await BoshHttp.PostAsync(boshUrl, Body(domain, wait), http);
        var sid = (string?)System.Xml.Linq.XElement.Parse(answer).Attribute("sid");
        Assert.True(sid is not null, "no sid in " + answer);
        return sid;
    }

    /// <summary>
    /// Sends <paramref name="attempts"/> creation requests over <paramref name="connections"/> connections from
    /// <paramref name="source"/> (default 127.0.0.1) and counts each outcome in <paramref name="outcomes"/>:
    /// <c>created</c>, <c>terminated</c>, <c>429</c>, <c>429+Retry-After</c> or the HTTP status.
    /// </summary>
    public static Task RunAsync(Uri boshUrl, string domain, int attempts, int connections, ConcurrentDictionary<string, int> outcomes, IPAddress? source = null)
    {
        var sent = 0;
        return Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            using var http = source is null ? new HttpClient() : new HttpClient(LoopbackHttp.Handler(source));
            http.Timeout = TimeSpan.FromSeconds(30);
            var body = Body(domain, wait: 30);
            while (Interlocked.Increment(ref sent) <= attempts)
            {
                using var content = new StringContent(body, Encoding.UTF8, "text/xml");
                using var response = await http.PostAsync(boshUrl, content);
                var kind = response.StatusCode switch
                {
                    HttpStatusCode.OK => (await response.Content.ReadAsStringAsync()).Contains("sid=", StringComparison.Ordinal) ? "created" : "terminated",
                    HttpStatusCode.TooManyRequests => response.Headers.RetryAfter is null ? "429" : "429+Retry-After",
                    var other => ((int)other).ToString(CultureInfo.InvariantCulture),
                };
                outcomes.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
        })));
    }
}
