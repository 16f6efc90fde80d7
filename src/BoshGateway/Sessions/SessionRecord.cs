namespace BoshGateway.Sessions;

/// <summary>The durable description of a session that the directory stores.</summary>
public sealed record SessionRecord(string Sid, string OwnerNode, string Domain, int Wait, int Hold, int Inactivity, DateTimeOffset Created);
