using BoshGateway.Hosting;

var app = GatewayApplication.Build(args);
app.Run();

/// <summary>Entry point; public so tests can reference the assembly.</summary>
public partial class Program;
