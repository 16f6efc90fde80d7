using Microsoft.AspNetCore.HttpOverrides;

namespace BoshGateway.Hosting;

/// <summary>Builds the gateway application; used by Program and by tests that host it on a free port.</summary>
public static class GatewayApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddBoshGateway();
        // Behind nginx: take the client's scheme and address from X-Forwarded-* sent by a proxy on
        // loopback (the default trusted proxies); others are ignored.
        builder.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseForwardedHeaders();
        app.UseWebSockets();
        app.MapBoshGateway();
        return app;
    }
}
