namespace BoshGateway.Sessions;

/// <summary>The durable description of a session that the directory stores.</summary>
public sealed record SessionRecord(string Sid, string OwnerNode, string Domain, int Wait, int Hold, int Inactivity, DateTimeOffset Created)
{
    /// <summary>The client's full JID once resource binding succeeded.</summary>
    public string? Jid { get; init; }

    /// <summary>The highest rid answered, or -1.</summary>
    public long LastRid { get; init; } = -1;

    /// <summary>The answer to <see cref="LastRid"/>, when it was small enough to keep.</summary>
    public byte[]? LastAnswer { get; init; }
}
