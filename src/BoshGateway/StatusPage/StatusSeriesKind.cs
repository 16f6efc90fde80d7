namespace BoshGateway.StatusPage;

/// <summary>How a family of running totals becomes chart points.</summary>
internal enum StatusSeriesKind
{
    /// <summary>The value as it is at the sample (sessions open).</summary>
    Gauge,

    /// <summary>How much the total grew since the previous sample (sessions started in the interval).</summary>
    Count,

    /// <summary>How much the total grew since the previous sample, per second (stanzas/s).</summary>
    Rate,
}
