namespace BoshGateway.Configuration;

/// <summary>One server of a cluster serving a domain (<c>Gateway:Backends:Default:Destinations:N</c>).</summary>
public sealed class BackendDestinationOptions
{
    /// <summary>Host name or address.</summary>
    public string Host { get; set; } = "";

    /// <summary>c2s port. Default 5222.</summary>
    public int Port { get; set; } = 5222;

    /// <summary>Relative capacity: new sessions go where sessions ÷ weight is lowest. Default 1.</summary>
    public int Weight { get; set; } = 1;
}
