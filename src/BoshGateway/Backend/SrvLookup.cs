using System.Globalization;
using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace BoshGateway.Backend;

/// <summary>
/// Finds where a domain's XMPP client service is by DNS SRV: <c>_xmpp-client._tcp.DOMAIN</c> (STARTTLS, RFC 6120
/// §3.2.1) and <c>_xmpps-client._tcp.DOMAIN</c> (direct TLS, XEP-0368), both at once, merged. Answers are cached for
/// their TTL. One instance is meant to be shared (it is thread-safe and holds the cache).
/// </summary>
public sealed partial class SrvLookup
{
    /// <summary>Prefix of the STARTTLS service name.</summary>
    public const string StartTlsService = "_xmpp-client._tcp.";

    /// <summary>Prefix of the direct-TLS service name (XEP-0368).</summary>
    public const string DirectTlsService = "_xmpps-client._tcp.";

    /// <summary>Port a domain without SRV records is reached on (RFC 6120 §3.2.2), for the caller's fallback.</summary>
    public const int FallbackPort = 5222;

    /// <summary>The default time one DNS query may take before it is tried again: 2 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    private const int Retries = 1;

    private readonly LookupClient _client;
    private readonly ILogger _logger;
    private readonly TimeSpan _budget;

    /// <param name="nameServers">The DNS servers to ask (e.g. 127.0.0.1:5353, see <see cref="ParseServers"/>);
    /// empty = the system's resolvers.</param>
    /// <param name="logger">Where failures and "not available" answers are logged.</param>
    /// <param name="timeout">How long one query to one server may take (default <see cref="DefaultTimeout"/>); it is
    /// tried once more on a timeout, and a whole lookup gives up after (1 + retries) × timeout, plus a little.</param>
    public SrvLookup(IReadOnlyList<IPEndPoint> nameServers, ILogger<SrvLookup> logger, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(nameServers);
        ArgumentNullException.ThrowIfNull(logger);
        var perQuery = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(perQuery, TimeSpan.Zero, nameof(timeout));
        var options = nameServers.Count == 0 ? new LookupClientOptions() : new LookupClientOptions([.. nameServers]);
        options.UseCache = true;
        options.CacheFailedResults = false;
        options.Timeout = perQuery;
        options.Retries = Retries;
        options.ThrowDnsErrors = false;
        options.UseTcpFallback = true;
        _client = new LookupClient(options);
        _logger = logger;
        _budget = perQuery * (Retries + 1) + TimeSpan.FromMilliseconds(500);
        NameServers = nameServers.Count == 0 ? [.. _client.NameServers.Select(s => new IPEndPoint(IPAddress.Parse(s.Address), s.Port))] : [.. nameServers];
    }

    /// <summary>The servers asked: those given, or the system's.</summary>
    public IReadOnlyList<IPEndPoint> NameServers { get; }

    /// <summary>
    /// Looks both services of <paramref name="domain"/> up in parallel and merges them (see
    /// <see cref="SrvLookupResult.Combine"/>). Never throws for a DNS problem: that is
    /// <see cref="SrvLookupOutcome.Failed"/>; only <paramref name="cancellationToken"/> ends it with an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<SrvLookupResult> LookupAsync(string domain, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        cancellationToken.ThrowIfCancellationRequested();
        domain = domain.TrimEnd('.');
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_budget);
        var startTls = QueryAsync(StartTlsService + domain, directTls: false, deadline.Token, cancellationToken);
        var directTls = QueryAsync(DirectTlsService + domain, directTls: true, deadline.Token, cancellationToken);
        var result = SrvLookupResult.Combine(await startTls, await directTls);
        // DnsClient may report a cancellation as a DNS error; the caller's own cancellation is never an outcome.
        cancellationToken.ThrowIfCancellationRequested();
        switch (result.Outcome)
        {
            case SrvLookupOutcome.Failed:
                Log.LookupFailed(_logger, domain, result.Error ?? "");
                break;
            case SrvLookupOutcome.NotAvailable:
                Log.NotAvailable(_logger, domain);
                break;
            default:
                if (result.Error is not null)
                {
                    Log.PartlyFailed(_logger, domain, result.Destinations.Count, result.Error);
                }
                else
                {
                    Log.LookedUp(_logger, domain, result.Outcome, result.Destinations.Count);
                }
                break;
        }
        return result;
    }

    private async Task<SrvLookupResult> QueryAsync(string name, bool directTls, CancellationToken deadline, CancellationToken caller)
    {
        try
        {
            var response = await _client.QueryAsync(name, QueryType.SRV, QueryClass.IN, deadline);
            if (response.HasError)
            {
                return response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain
                    ? SrvLookupResult.NoRecords
                    : SrvLookupResult.Failed($"{name}: {response.ErrorMessage}");
            }
            var records = response.Answers.SrvRecords()
                .Select(r => new DestinationAddress(r.Target.Value, r.Port, r.Weight, directTls, r.Priority))
                .ToList();
            return SrvLookupResult.FromRecords(records);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return SrvLookupResult.Failed($"{name}: no answer within {_budget.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return SrvLookupResult.Failed($"{name}: {e.Message}");
        }
    }

    /// <summary>
    /// Parses <c>Gateway:Backends:DnsServers</c> entries: an IP address with an optional port (53 when left out), e.g.
    /// <c>127.0.0.1:5353</c>, <c>10.0.0.2</c>, <c>[::1]:5353</c>. Host names are refused (a resolver cannot be
    /// found by name). Throws <see cref="FormatException"/> naming the bad entry.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> ParseServers(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var servers = new List<IPEndPoint>();
        foreach (var raw in entries)
        {
            var entry = raw?.Trim() ?? "";
            if (!IPEndPoint.TryParse(entry, out var endPoint))
            {
                throw new FormatException($"DNS server '{raw}' is not an IP address with an optional port, such as 127.0.0.1:5353 or [::1]:53 (host names are not accepted).");
            }
            var portGiven = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? entry.StartsWith('[') && entry.Contains("]:", StringComparison.Ordinal) : entry.Contains(':', StringComparison.Ordinal);
            if (!portGiven)
            {
                endPoint.Port = 53;
            }
            else if (endPoint.Port == 0)
            {
                throw new FormatException($"DNS server '{raw}' has port 0; give a port from 1 to 65535, or none for 53.");
            }
            servers.Add(endPoint);
        }
        return servers;
    }
}
