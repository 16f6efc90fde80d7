using BoshGateway.Telemetry;

namespace BoshGateway.Sessions;

/// <summary>What <see cref="SessionLifecycle.TryAdmit"/> decided: a session, or why not and when to try again.</summary>
public readonly record struct Admission(SessionInfo? Info, RejectionReason? Refused, TimeSpan? RetryAfter)
{
    /// <summary>The <c>Retry-After</c> header value in whole seconds (at least 1), or null.</summary>
    public string? RetryAfterHeader => RetryAfterSeconds(RetryAfter);

    /// <summary>A <c>Retry-After</c> header value in whole seconds, at least 1; null for null.</summary>
    public static string? RetryAfterSeconds(TimeSpan? after) =>
        after is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
}
