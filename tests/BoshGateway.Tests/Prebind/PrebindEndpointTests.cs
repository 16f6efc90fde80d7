using System.Text.Json;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Prebind;
using BoshGateway.Tests.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Prebind;

/// <summary>The answers given before any session is opened (the login itself is tested against ejabberd in the integration suite).</summary>
public sealed class PrebindEndpointTests : IDisposable
{
    private readonly DrainState _drain = new();
    private readonly MetricRecorder _metrics = new();

    public void Dispose()
    {
        _drain.Dispose();
        _metrics.Dispose();
    }

    private string?[] Results() => [.. _metrics.Of("boshgateway.prebind.requests").Select(m => m.Tags["boshgateway.prebind.result"] as string)];

    private PrebindEndpoint Endpoint()
    {
        var options = Options.Create(new GatewayOptions { Prebind = { Secret = new string('s', 40) } });
        // No BoshEndpoint: every request here is answered before a session would be opened.
        return new PrebindEndpoint(null!, new PrebindReplayGuard(TimeProvider.System, options), _drain, _metrics.Metrics, options, TimeProvider.System, NullLogger<PrebindEndpoint>.Instance);
    }

    private static async Task<(int Status, string Body, IHeaderDictionary Headers)> CallAsync(PrebindEndpoint endpoint, string method, string? authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        var body = new MemoryStream();
        context.Response.Body = body;
        await endpoint.HandleAsync(context);
        return (context.Response.StatusCode, System.Text.Encoding.UTF8.GetString(body.ToArray()), context.Response.Headers);
    }

    [Fact]
    public async Task AfterTheShutdownGrace_NothingIsPrebound()
    {
        _drain.Close();

        var (status, body, headers) = await CallAsync(Endpoint(), "POST", "Bearer x.y.z");

        Assert.Equal(503, status);
        Assert.Equal("2", headers.RetryAfter.ToString());
        Assert.Equal("this node is stopping", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.Equal(["unavailable"], Results());
    }

    [Fact]
    public async Task WithoutABearerToken_Is401_NamingTheScheme()
    {
        var (status, body, headers) = await CallAsync(Endpoint(), "POST", "Basic dXNlcjpwYXNz");

        Assert.Equal(401, status);
        Assert.Equal("Bearer error=\"invalid_token\"", headers.WWWAuthenticate.ToString());
        Assert.Equal("invalid token: no bearer token", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.Equal(["refused"], Results());
    }

    [Fact]
    public async Task AGet_Is405()
    {
        var (status, _, headers) = await CallAsync(Endpoint(), "GET", null);

        Assert.Equal(405, status);
        Assert.Equal("POST", headers.Allow.ToString());
    }
}
