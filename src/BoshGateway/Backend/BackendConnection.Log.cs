using BoshGateway.Telemetry;
namespace BoshGateway.Backend;

internal sealed partial class BackendConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BackendStalled, EventName = nameof(EventIds.BackendStalled), Level = LogLevel.Warning,
            Message = "Server {Host}:{Port} sent nothing for {Seconds} s after a ping or a login step: stream dropped, session told remote-connection-failed")]
        public static partial void ServerStalled(ILogger logger, string host, int port, double seconds);

        [LoggerMessage(EventId = EventIds.BackendStreamEnded, EventName = nameof(EventIds.BackendStreamEnded), Level = LogLevel.Debug, Message = "Backend stream to {Host}:{Port} ended: {Reason}")]
        public static partial void StreamEnded(ILogger logger, string host, int port, string reason);

        [LoggerMessage(EventId = EventIds.BackendWriteFailed, EventName = nameof(EventIds.BackendWriteFailed), Level = LogLevel.Debug, Message = "Backend stream to {Host}:{Port} failed: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string host, int port, string reason);

        [LoggerMessage(EventId = EventIds.BackendCertificateRejected, EventName = nameof(EventIds.BackendCertificateRejected), Level = LogLevel.Warning, Message = "Certificate of {Host}:{Port} for {Domain} rejected: {Reason}")]
        public static partial void CertificateRejected(ILogger logger, string host, int port, string domain, string reason);
    }
}
