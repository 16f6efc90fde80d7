namespace BoshGateway.Sessions;

/// <summary>What the transport-neutral parts (table, sweeper, shutdown, fencing) need of a session of either transport.</summary>
public interface IGatewaySession
{
    /// <summary>Identity, client address, start time and traffic counters.</summary>
    SessionInfo Info { get; }

    /// <summary>Timers (wait, inactivity, pre-authentication, send stall, keepalive); called by the sweeper, never blocks.</summary>
    void OnTick();

    /// <summary>Ends the session from outside any client request (shutdown, fencing); never blocks.</summary>
    void EndUnplanned(SessionEndReason reason);
}
