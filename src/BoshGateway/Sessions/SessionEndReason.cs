namespace BoshGateway.Sessions;

/// <summary>Why a session ended; every end is recorded in one place with one of these.</summary>
public enum SessionEndReason
{
    /// <summary>The client terminated the session.</summary>
    Normal,

    /// <summary>No request within the inactivity period.</summary>
    Timeout,

    /// <summary>The server closed the stream or the connection dropped.</summary>
    BackendClosed,

    /// <summary>A protocol error by the client (bad request, unknown rid, wrong key, overactivity).</summary>
    Error,

    /// <summary>The gateway is stopping.</summary>
    Shutdown,

    /// <summary>This node was out of the cluster registry long enough for other nodes to count it gone.</summary>
    OwnershipLost,
}
