namespace BoshGateway.Protocol.Bosh;

/// <summary>A request that must be answered with a terminal binding condition.</summary>
public sealed class BoshProtocolException : Exception
{
    public BoshProtocolException(string condition, string message) : base(message) => Condition = condition;

    public BoshProtocolException() : this(BoshConditions.BadRequest, "bad request") { }

    public BoshProtocolException(string message) : this(BoshConditions.BadRequest, message) { }

    public BoshProtocolException(string message, Exception inner) : base(message, inner) => Condition = BoshConditions.BadRequest;

    /// <summary>The session the refused request named, when its wrapper could be read.</summary>
    public string? Sid { get; init; }

    /// <summary>The XEP-0124 condition to send.</summary>
    public string Condition { get; }
}
