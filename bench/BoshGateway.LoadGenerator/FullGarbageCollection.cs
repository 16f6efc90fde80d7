using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// Makes another .NET process run a full blocking garbage collection, through its diagnostics port:
/// an EventPipe session with the runtime provider's <c>GCHeapCollect</c> keyword makes the runtime
/// induce one, as <c>dotnet-gcdump</c> does (without the heap walk). The soak measures the gateway's
/// memory after this, so what a leak left behind is told apart from garbage not yet collected.
/// </summary>
internal static class FullGarbageCollection
{
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    public static async Task InduceAsync(int pid)
    {
        var client = new DiagnosticsClient(pid);
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword | GcHeapCollectKeyword);
        using var session = client.StartEventPipeSession([provider], requestRundown: false, circularBufferMB: 16);
        var drain = session.EventStream.CopyToAsync(Stream.Null);
        // The collection runs when the session starts; give it time to finish before closing.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await session.StopAsync(CancellationToken.None);
        await drain;
    }
}
