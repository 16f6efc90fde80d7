using System.Diagnostics;
using BoshGateway.Sessions;

namespace BoshGateway.Telemetry;

/// <summary>
/// The gateway's one <see cref="ActivitySource"/>, <c>BoshGateway</c>. Spans: <c>session.start</c>
/// (a BOSH session-creation request, a WebSocket <c>&lt;open/&gt;</c>) with <c>backend.connect</c>,
/// <c>backend.tls</c> and <c>backend.stream_open</c> as children; <c>cluster.forward</c> for the hop to
/// the owner node (its <c>traceparent</c> goes along, so node A and node B share one trace);
/// <c>session.end</c>. Starting one costs nothing unless a listener (OpenTelemetry) samples it.
/// </summary>
public static class GatewayActivitySource
{
    public const string Name = "BoshGateway";

    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The start of a session; null when nobody listens.</summary>
    public static Activity? StartSession(SessionInfo info)
    {
        var activity = Source.StartActivity("session.start");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("boshgateway.transport", TransportName(info.Transport));
            activity.SetTag("boshgateway.session.id", info.Sid);
        }
        return activity;
    }

    /// <summary>A step of opening the backend stream (<c>backend.connect</c>, <c>backend.tls</c>, <c>backend.stream_open</c>).</summary>
    public static Activity? StartBackendStep(string name, string host, int port)
    {
        var activity = Source.StartActivity(name, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("server.address", host);
            activity.SetTag("server.port", port);
        }
        return activity;
    }

    /// <summary>Marks a span as failed with the exception's type (<c>error.type</c>).</summary>
    public static void Fail(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag("error.type", exception.GetType().FullName);
    }

    /// <summary>The end of a session, as a short span of its own with why and how long.</summary>
    public static void SessionEnded(SessionInfo info, SessionEndReason reason, double seconds)
    {
        if (!Source.HasListeners())
        {
            return;
        }
        using var activity = Source.StartActivity("session.end");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("boshgateway.transport", TransportName(info.Transport));
            activity.SetTag("boshgateway.session.id", info.Sid);
            activity.SetTag("boshgateway.session.end_reason", GatewayMetrics.EndReasonName(reason));
            activity.SetTag("boshgateway.session.duration", seconds);
        }
    }

    /// <summary>The hop to the owner node of a BOSH session.</summary>
    public static Activity? StartForward(string ownerUrl)
    {
        var activity = Source.StartActivity("cluster.forward", ActivityKind.Client);
        activity?.SetTag("url.full", ownerUrl);
        return activity;
    }

    internal static string TransportName(SessionTransport transport) => transport == SessionTransport.Bosh ? "bosh" : "websocket";
}
