using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Tests.Sessions;
using BoshGateway.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.WebSockets;

/// <summary>
/// Handshakes ASP.NET Core does not take for a WebSocket (no IHttpWebSocketFeature says yes): a request that
/// asks for one still gets a handshake refusal, not the endpoint's information page (robustness C2).
/// </summary>
public sealed class XmppWebSocketEndpointTests
{
    private readonly FakeConnector _connector = new();

    private async Task<HttpContext> GetAsync(params (string Name, string Value)[] headers)
    {
        var options = new GatewayOptions();
        var logs = new RecordingLoggerFactory();
        var lifecycle = TestLifecycle.Create(new FakeTimeProvider(), logs, _connector, options);
        var endpoint = new XmppWebSocketEndpoint(Options.Create(options), lifecycle, new OriginPolicy(Options.Create(options)), logs);
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/xmpp-websocket";
        context.Response.Body = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }
        await endpoint.HandleAsync(context);
        return context;
    }

    private static readonly (string, string)[] Upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Protocol", "xmpp")];

    [Theory]
    [InlineData("8")]
    [InlineData("14")]
    [InlineData("banana")]
    public async Task HandleAsync_UnsupportedWebSocketVersion_Is426WithVersion13(string version)
    {
        var context = await GetAsync([.. Upgrade, ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", version)]);
        Assert.Equal(StatusCodes.Status426UpgradeRequired, context.Response.StatusCode);
        Assert.Equal("13", context.Response.Headers.SecWebSocketVersion.ToString());
        Assert.Equal(0, context.Response.Body.Length);
        Assert.Empty(_connector.Links);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Version", "13")]
    [InlineData("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
    [InlineData("X-Nothing", "")]
    public async Task HandleAsync_MalformedUpgrade_Is400(string header, string value)
    {
        var context = await GetAsync([.. Upgrade, (header, value)]);
        Assert.Equal(StatusCodes.Status400BadRequest, context.Response.StatusCode);
        Assert.Equal(0, context.Response.Body.Length);
        Assert.Empty(_connector.Links);
    }

    [Fact]
    public async Task HandleAsync_UpgradeTokenInAList_IsStillAHandshake()
    {
        var context = await GetAsync(("Connection", "keep-alive, Upgrade"), ("Upgrade", "foo, WebSocket"), ("Sec-WebSocket-Version", "7"));
        Assert.Equal(StatusCodes.Status426UpgradeRequired, context.Response.StatusCode);
    }

    [Fact]
    public async Task HandleAsync_PlainGet_ShowsTheInformationPage()
    {
        var context = await GetAsync();
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.True(context.Response.Body.Length > 0);
    }
}
