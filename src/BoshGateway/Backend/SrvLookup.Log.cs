using BoshGateway.Telemetry;

namespace BoshGateway.Backend;

public sealed partial class SrvLookup
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SrvLookupFailed, EventName = nameof(EventIds.SrvLookupFailed), Level = LogLevel.Warning,
            Message = "SRV lookup for {Domain} failed: {Reason}")]
        public static partial void LookupFailed(ILogger logger, string domain, string reason);

        [LoggerMessage(EventId = EventIds.SrvLookupPartlyFailed, EventName = nameof(EventIds.SrvLookupPartlyFailed), Level = LogLevel.Warning,
            Message = "SRV lookup for {Domain} found {Count} destinations but one service failed: {Reason}")]
        public static partial void PartlyFailed(ILogger logger, string domain, int count, string reason);

        [LoggerMessage(EventId = EventIds.SrvServiceNotAvailable, EventName = nameof(EventIds.SrvServiceNotAvailable), Level = LogLevel.Information,
            Message = "{Domain} publishes SRV target \".\": it offers no XMPP client service")]
        public static partial void NotAvailable(ILogger logger, string domain);

        [LoggerMessage(EventId = EventIds.SrvLookedUp, EventName = nameof(EventIds.SrvLookedUp), Level = LogLevel.Debug,
            Message = "SRV lookup for {Domain}: {Outcome}, {Count} destinations")]
        public static partial void LookedUp(ILogger logger, string domain, SrvLookupOutcome outcome, int count);
    }
}
