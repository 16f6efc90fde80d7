namespace BoshGateway.Sessions;

public sealed partial class BoshSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, EventName = "BoshSessionTerminated", Level = LogLevel.Information, Message = "BOSH session {Sid} terminated: {Condition} ({Reason})")]
        public static partial void Terminated(ILogger logger, string sid, string condition, string reason);

        [LoggerMessage(EventId = 1001, EventName = "BoshRidReplayed", Level = LogLevel.Debug, Message = "BOSH session {Sid}: rid {Rid} repeated, replaying its response")]
        public static partial void RidReplayed(ILogger logger, string sid, long rid);

        [LoggerMessage(EventId = 1002, EventName = "BoshClientTerminated", Level = LogLevel.Debug, Message = "BOSH session {Sid} terminated by the client")]
        public static partial void ClientTerminated(ILogger logger, string sid);

        [LoggerMessage(EventId = 1003, EventName = "BoshInactivityTimeout", Level = LogLevel.Debug, Message = "BOSH session {Sid} ended after inactivity")]
        public static partial void InactivityTimeout(ILogger logger, string sid);
    }
}
