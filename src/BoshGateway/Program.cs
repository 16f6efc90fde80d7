using BoshGateway.Hosting;

try
{
    var app = GatewayApplication.Build(args);
    app.Run();
    return 0;
}
catch (Exception ex) when (StartupErrors.Describe(ex) is { Count: > 0 } lines)
{
    // A bad setting is the operator's mistake, not a crash: one line per problem naming the key, no stack trace.
    foreach (var line in lines)
    {
        Console.Error.WriteLine(line);
    }
    return StartupErrors.ExitCode;
}

/// <summary>Entry point; public so tests can reference the assembly.</summary>
public partial class Program;
