namespace BoshGateway.Hosting;

/// <summary>Builds the gateway application; used by Program and by tests that host it on a free port.</summary>
public static class GatewayApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddBoshGateway();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapBoshGateway();
        return app;
    }
}
