using BoshGateway.Telemetry;
using System.Net;
using System.Net.Sockets;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace BoshGateway.Cluster;

/// <summary>
/// Sends a BOSH request that reached a node other than its session's owner on to the owner, with
/// YARP's <see cref="IHttpForwarder"/> over one shared <see cref="HttpMessageInvoker"/>. The request
/// carries a signed <see cref="ClusterSigner.ForwardedHeader"/>: the owner never forwards it again,
/// and nobody without the cluster secret can pass a request off as forwarded.
/// </summary>
internal sealed partial class OwnerForwarder : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly ClusterSigner _signer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _node;
    private readonly HttpMessageInvoker _client;
    private readonly ForwarderRequestConfig _longPoll;

    public OwnerForwarder(IHttpForwarder forwarder, ClusterSigner signer, IOptions<GatewayOptions> options, TimeProvider time, ILogger<OwnerForwarder> logger)
    {
        _forwarder = forwarder;
        _signer = signer;
        _time = time;
        _logger = logger;
        _node = options.Value.Node.Id;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.Value.Cluster.ForwardConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            // The W3C traceparent of this hop goes along: node A and node B log and trace one request as one trace.
        });
        // A held request lasts up to the session's wait (at most MaxWait); allow for it and a margin.
        _longPoll = new ForwarderRequestConfig { ActivityTimeout = options.Value.Bosh.MaxWait + TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// Forwards the request whose (already read, decompressed) body is <paramref name="body"/> to
    /// <paramref name="ownerUrl"/>. <paramref name="timeout"/> shortens the wait for an owner the
    /// registry no longer lists; <paramref name="ownerGone"/> ends the wait when the registry drops
    /// the owner meanwhile (<see cref="ForwardOutcome.OwnerGone"/>).
    /// </summary>
    public async Task<ForwardOutcome> ForwardAsync(HttpContext context, byte[] body, string ownerUrl, TimeSpan? timeout, CancellationToken ownerGone)
    {
        var request = context.Request;
        BoshRequestReader.PutBack(request, body);
        // Kestrel reports a body it has already handed out as absent; this one is in memory.
        context.Features.Set<IHttpRequestBodyDetectionFeature>(BufferedBody.Instance);
        var signature = _signer.SignForward(_node, body, _time.GetUtcNow(), request.IsHttps);
        // The owner answers with its own CORS headers.
        context.Response.Headers.Remove(HeaderNames.AccessControlAllowOrigin);
        context.Response.Headers.Remove(HeaderNames.Vary);
        var config = timeout is { } t ? new ForwarderRequestConfig { ActivityTimeout = t } : _longPoll;

        using var activity = GatewayActivitySource.StartForward(ownerUrl);
        var error = await _forwarder.SendAsync(context, ownerUrl, _client, config, new SignedForward(request.Host.Value, signature), ownerGone);
        if (error == ForwarderError.None)
        {
            return ForwardOutcome.Forwarded;
        }
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return ForwardOutcome.Forwarded;
        }
        context.Response.Clear();
        if (ownerGone.IsCancellationRequested)
        {
            return ForwardOutcome.OwnerGone;
        }
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled)
        {
            return ForwardOutcome.Forwarded;
        }
        if (exception is not null)
        {
            GatewayActivitySource.Fail(activity, exception);
        }
        var refused = IsConnectionRefused(exception);
        Log.ForwardFailed(_logger, ownerUrl, error, exception);
        return refused ? ForwardOutcome.Refused : ForwardOutcome.Failed;
    }

    private static bool IsConnectionRefused(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }
        return false;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The owner judges Origin against the host the client used, as this node did, and sees the cluster's signature.</summary>
    private sealed class SignedForward(string? host, string signature) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = host;
            proxyRequest.Headers.Remove(ClusterSigner.ForwardedHeader);
            proxyRequest.Headers.TryAddWithoutValidation(ClusterSigner.ForwardedHeader, signature);
        }

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (proxyResponse?.Headers.Contains(ClusterSigner.CloseClientHeader) == true)
            {
                // The owner would have closed the connection had the client reached it directly: so does this node.
                httpContext.Abort();
                return ValueTask.FromResult(false);
            }
            return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }
    }

    private sealed class BufferedBody : IHttpRequestBodyDetectionFeature
    {
        public static readonly BufferedBody Instance = new();

        public bool CanHaveBody => true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ForwardFailed, EventName = nameof(EventIds.ForwardFailed), Level = LogLevel.Information, Message = "Forwarding to the owner at {Url} failed ({Error})")]
        public static partial void ForwardFailed(ILogger logger, string url, ForwarderError error, Exception? exception);
    }
}
