using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// Logins per second until errors appear: steps of logins arriving at a fixed rate (doubling from
/// <c>--rate</c>), each step held to its end and then logged out; stops at the first step with a
/// failed login, or whose achieved rate falls below 90% of the offered one (saturated).
/// </summary>
internal static class LoginStorm
{
    private const double StepSeconds = 4;

    public static async Task RunAsync(LoadOptions options, LoginRamp ramp, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        var steps = new List<Dictionary<string, object>>();
        var best = 0.0;
        var limit = "every step met its rate";
        for (var offered = options.Rate; ; offered *= 2)
        {
            var count = (int)Math.Min(options.Users, offered * StepSeconds);
            var batch = await ramp.AtRateAsync(count, offered, cancellationToken);
            steps.Add(new()
            {
                ["offered_per_second"] = offered,
                ["logins"] = count,
                ["failures"] = batch.Failures,
                ["achieved_per_second"] = batch.PerSecond,
                ["login_ms_p50"] = Percentiles.Of(batch.LoginMs, 0.5),
                ["login_ms_p99"] = Percentiles.Of(batch.LoginMs, 0.99),
            });
            Console.WriteLine($"  offered {offered,6:0}/s  logins {count,5}  failures {batch.Failures,4}  achieved {batch.PerSecond,7:0.0}/s  p50 {Percentiles.Of(batch.LoginMs, 0.5),7:0.0} ms  p99 {Percentiles.Of(batch.LoginMs, 0.99),7:0.0} ms");
            await ramp.DisposeAsync(batch.Users);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            if (batch.Failures > 0)
            {
                limit = $"failures at {offered.ToString(CultureInfo.InvariantCulture)}/s";
                break;
            }
            best = Math.Max(best, batch.PerSecond);
            if (batch.PerSecond < 0.9 * offered)
            {
                limit = $"saturated at {offered.ToString(CultureInfo.InvariantCulture)}/s offered";
                break;
            }
            if (count < offered * StepSeconds)
            {
                limit = $"ran out of accounts ({options.Users}) above {offered.ToString(CultureInfo.InvariantCulture)}/s";
                break;
            }
        }
        result["logins_per_second"] = best;
        result["login_storm_limit"] = limit;
        result["login_storm_steps"] = steps;
    }
}
