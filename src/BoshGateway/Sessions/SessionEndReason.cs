namespace BoshGateway.Sessions;

/// <summary>Why a session ended; every end is recorded in one place (<see cref="SessionLifecycle"/>) with one of these.</summary>
public enum SessionEndReason
{
    /// <summary>The client ended the session (BOSH terminate, WebSocket <c>&lt;close/&gt;</c>).</summary>
    Normal,

    /// <summary>No request within the inactivity period, or not authenticated in time.</summary>
    Timeout,

    /// <summary>The server closed the stream, sent a stream error, or the connection to it failed.</summary>
    BackendClosed,

    /// <summary>A protocol error by the client (bad request, unknown rid, wrong key, overactivity, limits).</summary>
    Error,

    /// <summary>The gateway is stopping.</summary>
    Shutdown,

    /// <summary>This node was out of the cluster registry long enough for other nodes to count it gone.</summary>
    OwnershipLost,

    /// <summary>The client's connection went away without ending the session (WebSocket only).</summary>
    ClientGone,
}
