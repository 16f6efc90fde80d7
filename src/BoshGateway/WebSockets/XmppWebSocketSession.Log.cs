using BoshGateway.Telemetry;

namespace BoshGateway.WebSockets;

public sealed partial class XmppWebSocketSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WebSocketStreamError, EventName = nameof(EventIds.WebSocketStreamError), Level = LogLevel.Information, Message = "WebSocket stream error {Condition}: {Reason}")]
        public static partial void StreamError(ILogger logger, string condition, string reason);

        [LoggerMessage(EventId = EventIds.WebSocketEnded, EventName = nameof(EventIds.WebSocketEnded), Level = LogLevel.Debug, Message = "WebSocket stream ended: {Reason}")]
        public static partial void Ended(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.WebSocketStartTlsRefused, EventName = nameof(EventIds.WebSocketStartTlsRefused), Level = LogLevel.Information, Message = "WebSocket client asked for STARTTLS: refused with <failure/>, stream closed")]
        public static partial void StartTlsRefused(ILogger logger);
    }
}
