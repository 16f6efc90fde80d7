namespace BoshGateway.Telemetry;

/// <summary>BOSH requests outside the plain in-order case (<c>boshgateway.bosh.rid_events</c>).</summary>
public enum RidEventKind
{
    /// <summary>A repeated rid answered from the replay cache.</summary>
    Replayed,

    /// <summary>A rid ahead of the next one, kept until the gap fills.</summary>
    Reordered,

    /// <summary>A rid outside the window (the session ends with item-not-found).</summary>
    OutOfWindow,

    /// <summary>The same rid again while the first copy is still outstanding.</summary>
    ResentWhileHeld,

    /// <summary>
    /// A held request given up before its wait ran out (at least 1 s in, 1 s short), then its rid sent
    /// again: the mark of a proxy in front timing out held requests (counted beside replayed or resent_while_held).
    /// </summary>
    CutAndResent,
}
