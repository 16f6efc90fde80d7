namespace BoshGateway.Backend;

/// <summary>The answer of <see cref="SrvLookup.LookupAsync"/> for one domain, or of one of its two SRV queries.</summary>
/// <param name="Outcome">What the records say; decides what the caller does.</param>
/// <param name="Destinations">Empty unless <see cref="SrvLookupOutcome.Found"/>; not yet ordered (see <see cref="SrvOrder.Order"/>).</param>
/// <param name="Error">Why a query failed: set for <see cref="SrvLookupOutcome.Failed"/>, and for
/// <see cref="SrvLookupOutcome.Found"/> when one of the two services failed and only the other's destinations are here.</param>
public sealed record SrvLookupResult(SrvLookupOutcome Outcome, IReadOnlyList<DestinationAddress> Destinations, string? Error = null)
{
    /// <summary>No records: fall back to the domain on 5222.</summary>
    public static SrvLookupResult NoRecords { get; } = new(SrvLookupOutcome.NoRecords, []);

    /// <summary>Target "." alone: service decidedly not available.</summary>
    public static SrvLookupResult NotAvailable { get; } = new(SrvLookupOutcome.NotAvailable, []);

    public static SrvLookupResult Failed(string error) => new(SrvLookupOutcome.Failed, [], error);

    /// <summary>
    /// The answer records of one SRV query, as they came (targets may end in a dot): a single record with target "."
    /// means <see cref="SrvLookupOutcome.NotAvailable"/> (RFC 2782); a "." among other records means nothing and is
    /// dropped; trailing dots are stripped from the other targets.
    /// </summary>
    public static SrvLookupResult FromRecords(IReadOnlyList<DestinationAddress> records)
    {
        if (records.Count == 1 && IsRoot(records[0].Host))
        {
            return NotAvailable;
        }
        var destinations = new List<DestinationAddress>(records.Count);
        foreach (var record in records)
        {
            if (!IsRoot(record.Host))
            {
                destinations.Add(record with { Host = record.Host.EndsWith('.') ? record.Host[..^1] : record.Host });
            }
        }
        return destinations.Count == 0 ? NoRecords : new SrvLookupResult(SrvLookupOutcome.Found, destinations);
    }

    /// <summary>
    /// Merges the answers for <c>_xmpp-client._tcp</c> (<paramref name="startTls"/>) and <c>_xmpps-client._tcp</c>
    /// (<paramref name="directTls"/>), XEP-0368: the destinations of both, competing by priority and weight. Found when
    /// either has destinations (with <see cref="Error"/> telling when the other failed); else Failed when either failed,
    /// as the failed one might have had some; else NotAvailable when <c>_xmpp-client</c> says "." (a "." for
    /// <c>_xmpps-client</c> alone only means no direct TLS, and the 5222 fallback stays); else NoRecords.
    /// </summary>
    public static SrvLookupResult Combine(SrvLookupResult startTls, SrvLookupResult directTls)
    {
        if (startTls.Outcome == SrvLookupOutcome.Found || directTls.Outcome == SrvLookupOutcome.Found)
        {
            var error = startTls.Outcome == SrvLookupOutcome.Failed ? startTls.Error
                : directTls.Outcome == SrvLookupOutcome.Failed ? directTls.Error
                : null;
            return new SrvLookupResult(SrvLookupOutcome.Found, [.. startTls.Destinations, .. directTls.Destinations], error);
        }
        if (startTls.Outcome == SrvLookupOutcome.Failed || directTls.Outcome == SrvLookupOutcome.Failed)
        {
            var errors = new[] { startTls.Error, directTls.Error }.Where(e => e is not null);
            return Failed(string.Join("; ", errors));
        }
        return startTls.Outcome == SrvLookupOutcome.NotAvailable ? NotAvailable : NoRecords;
    }

    private static bool IsRoot(string host) => host.Length == 0 || host == ".";
}
