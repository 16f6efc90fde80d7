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

    /// <summary>
    /// Under the lock, for a request in <see cref="_held"/> that ends without an answer of its own: true when it
    /// was held at least <see cref="CutMargin"/> and ends at least that long before its wait. Its deadline was
    /// set to the moment it was held plus the wait, so how long it was held follows from the deadline.
    /// </summary>
    private bool EndsCutEarly(HeldRequest request, out double heldSeconds)
    {
        var left = _time.GetElapsedTime(_time.GetTimestamp(), request.Deadline);
        var held = TimeSpan.FromSeconds(_p.Wait) - left;
        heldSeconds = held.TotalSeconds;
        return held >= CutMargin && left >= CutMargin;
    }

    /// <summary>Under the lock: a held request's client went away; if it was cut early, its resend will tell.</summary>
    private void NoteIfCut(HeldRequest request)
    {
        if (EndsCutEarly(request, out var heldSeconds))
        {
            _cutRid = request.Rid;
            _cutAfterSeconds = heldSeconds;
        }
    }

    /// <summary>Under the lock: <paramref name="rid"/> came again; if it is the one cut early, report it once.</summary>
    private void ReportIfCut(long rid)
    {
        if (rid == _cutRid)
        {
            _cutRid = -1;
            ReportCut(_cutAfterSeconds);
        }
    }

    private void ReportCut(double heldSeconds)
    {
        _metrics.RidEvent(RidEventKind.CutAndResent);
        _lifecycle.HeldRequestCut(heldSeconds, _p.Wait);
    }
}
