namespace BoshGateway.Fuzz.Targets;

/// <summary>The fuzz targets by the name <c>fuzz/run.sh</c> and the corpus folders use.</summary>
public static class FuzzTargets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["bosh-body"] = BoshBodyTarget.Run,
        ["ws-message"] = WsMessageTarget.Run,
        ["stream-reader"] = StreamReaderTarget.Run,
        ["bosh-session"] = BoshSessionTarget.Run,
        ["address-checks"] = AddressTarget.Run,
    };

    /// <summary>Targets that play one operation per input byte, whose allocation bound grows with the input (<see cref="Oracle.MaxAllocatedBytesPerOperation"/>).</summary>
    public static bool PlaysOneOperationPerByte(string name) => name == "bosh-session";
}
