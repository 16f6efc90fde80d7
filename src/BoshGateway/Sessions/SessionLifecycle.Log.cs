using BoshGateway.Telemetry;

namespace BoshGateway.Sessions;

public sealed partial class SessionLifecycle
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SessionStarted, EventName = nameof(EventIds.SessionStarted), Level = LogLevel.Information,
            Message = "{Transport} session {Sid} started for {Domain}")]
        public static partial void Started(ILogger logger, string sid, SessionTransport transport, string domain);

        [LoggerMessage(EventId = EventIds.SessionEnded, EventName = nameof(EventIds.SessionEnded), Level = LogLevel.Information,
            Message = "{Transport} session {Sid} ended: {Reason} after {DurationSeconds:0.###} s; to server {StanzasToServer} stanzas, {BytesToServer} bytes; to client {StanzasToClient} stanzas, {BytesToClient} bytes")]
        public static partial void Ended(ILogger logger, string sid, SessionTransport transport, SessionEndReason reason, double durationSeconds,
            long stanzasToServer, long bytesToServer, long stanzasToClient, long bytesToClient);

        // Debug, not Warning: whoever floods the gateway would flood its log too; boshgateway.rejected_sessions counts every refusal.
        [LoggerMessage(EventId = EventIds.AddressRefused, EventName = nameof(EventIds.AddressRefused), Level = LogLevel.Debug,
            Message = "{Transport} session refused with HTTP 429 for {Address}: {Reason}")]
        public static partial void AddressRefused(ILogger logger, SessionTransport transport, System.Net.IPAddress? address, Telemetry.RejectionReason reason);

        [LoggerMessage(EventId = EventIds.BackendUnreachable, EventName = nameof(EventIds.BackendUnreachable), Level = LogLevel.Warning,
            Message = "{Transport} session refused with remote-connection-failed: no stream to {Host}:{Port}: {Reason}")]
        public static partial void BackendUnreachable(ILogger logger, SessionTransport transport, string host, int port, string reason);

        [LoggerMessage(EventId = EventIds.BackendRefusedStream, EventName = nameof(EventIds.BackendRefusedStream), Level = LogLevel.Information,
            Message = "{Transport} session refused: {Host}:{Port} answered the stream header with a stream error")]
        public static partial void BackendRefused(ILogger logger, SessionTransport transport, string host, int port);

        [LoggerMessage(EventId = EventIds.BoshHeldRequestCut, EventName = nameof(EventIds.BoshHeldRequestCut), Level = LogLevel.Warning,
            Message = "A held BOSH request was given up after {HeldSeconds:0.#} s of its {WaitSeconds} s wait, then its rid sent again: a proxy in front (or the client) times out held requests. Set its read timeout (nginx: proxy_read_timeout) above Gateway:Bosh:MaxWait, or MaxWait below it. Logged at most every 10 minutes; boshgateway_bosh_rid_events_total{{boshgateway_bosh_rid_event=\"cut_and_resent\"}} counts each")]
        public static partial void HeldRequestCut(ILogger logger, double heldSeconds, long waitSeconds);
    }
}
