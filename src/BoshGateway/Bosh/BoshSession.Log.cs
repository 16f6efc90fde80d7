using BoshGateway.Telemetry;

namespace BoshGateway.Bosh;

public sealed partial class BoshSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BoshSessionTerminated, EventName = nameof(EventIds.BoshSessionTerminated), Level = LogLevel.Information, Message = "BOSH session {Sid} terminated: {Condition} ({Reason})")]
        public static partial void Terminated(ILogger logger, string sid, string condition, string reason);

        [LoggerMessage(EventId = EventIds.BoshRidReplayed, EventName = nameof(EventIds.BoshRidReplayed), Level = LogLevel.Debug, Message = "BOSH session {Sid}: rid {Rid} repeated, replaying its response")]
        public static partial void RidReplayed(ILogger logger, string sid, long rid);

        [LoggerMessage(EventId = EventIds.BoshClientTerminated, EventName = nameof(EventIds.BoshClientTerminated), Level = LogLevel.Debug, Message = "BOSH session {Sid} terminated by the client")]
        public static partial void ClientTerminated(ILogger logger, string sid);

        [LoggerMessage(EventId = EventIds.BoshInactivityTimeout, EventName = nameof(EventIds.BoshInactivityTimeout), Level = LogLevel.Debug, Message = "BOSH session {Sid} ended after inactivity")]
        public static partial void InactivityTimeout(ILogger logger, string sid);

        [LoggerMessage(EventId = EventIds.BoshNotAuthenticatedInTime, EventName = nameof(EventIds.BoshNotAuthenticatedInTime), Level = LogLevel.Information, Message = "BOSH session {Sid} ended with policy-violation: not authenticated within {Seconds} s")]
        public static partial void NotAuthenticatedInTime(ILogger logger, string sid, double seconds);

        [LoggerMessage(EventId = EventIds.BoshRidGapExpired, EventName = nameof(EventIds.BoshRidGapExpired), Level = LogLevel.Information, Message = "BOSH session {Sid} ended with item-not-found: rid {Rid} never arrived, {Waiting} later request(s) waited for it")]
        public static partial void RidGapExpired(ILogger logger, string sid, long rid, int waiting);

        [LoggerMessage(EventId = EventIds.BoshReadingPaused, EventName = nameof(EventIds.BoshReadingPaused), Level = LogLevel.Debug, Message = "BOSH session {Sid}: {Bytes} bytes wait for the client's next request, reading from the server paused")]
        public static partial void ReadingPaused(ILogger logger, string sid, long bytes);

        [LoggerMessage(EventId = EventIds.BoshStartTlsRefused, EventName = nameof(EventIds.BoshStartTlsRefused), Level = LogLevel.Information, Message = "BOSH session {Sid}: the client asked for STARTTLS: refused with <failure/>, session terminated")]
        public static partial void StartTlsRefused(ILogger logger, string sid);

        [LoggerMessage(EventId = EventIds.SendQueueStalled, EventName = nameof(EventIds.SendQueueStalled), Level = LogLevel.Warning, Message = "BOSH session {Sid} ended with policy-violation: the server took nothing from its send queue for {Seconds} s")]
        public static partial void SendQueueStalled(ILogger logger, string sid, double seconds);
    }
}
