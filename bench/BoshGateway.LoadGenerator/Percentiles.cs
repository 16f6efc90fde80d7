namespace BoshGateway.LoadGenerator;

internal static class Percentiles
{
    /// <summary>The <paramref name="q"/> quantile of an ascending list, rounded to 0.01 (NaN when empty).</summary>
    public static double Of(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : Math.Round(sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))], 2);
}
