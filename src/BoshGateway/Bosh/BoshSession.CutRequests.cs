using BoshGateway.Telemetry;

namespace BoshGateway.Bosh;

// A proxy in front that gives up held requests before Bosh:MaxWait (nginx's proxy_read_timeout, a load
// balancer's idle timeout) shows here as a held request ended early whose rid is then sent again
// (robustness.md E13). The session notes the cut under its lock; the resend counts it and tells the
// lifecycle, which warns the operator at most every few minutes.
public sealed partial class BoshSession
{
    private static readonly TimeSpan CutMargin = TimeSpan.FromSeconds(1);
    private long _cutRid = -1;
    private double _cutAfterSeconds;

    /// <summary>Under the lock: <paramref name="request"/> ends without an answer of its own (its client went away, or its resend replaces it).</summary>
    private void NoteIfCut(HeldRequest request)
    {
        if (request.HeldSince == long.MinValue)
        {
            return;
        }
        var now = _time.GetTimestamp();
        var held = _time.GetElapsedTime(request.HeldSince, now);
        if (held >= CutMargin && _time.GetElapsedTime(now, request.Deadline) >= CutMargin)
        {
            _cutRid = request.Rid;
            _cutAfterSeconds = held.TotalSeconds;
        }
    }

    /// <summary>Under the lock: <paramref name="rid"/> came again; if it is the one cut early, report it once.</summary>
    private void ReportIfCut(long rid)
    {
        if (rid != _cutRid)
        {
            return;
        }
        _cutRid = -1;
        _metrics.RidEvent(RidEventKind.CutAndResent);
        _lifecycle.HeldRequestCut(_cutAfterSeconds, _p.Wait);
    }
}
