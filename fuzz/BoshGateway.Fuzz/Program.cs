using BoshGateway.Fuzz.Targets;
using SharpFuzz;

// Usage:
//   BoshGateway.Fuzz <target>                      under afl-fuzz (SharpFuzz's persistent fork server); once on stdin otherwise
//   BoshGateway.Fuzz <target|all> --replay <path>... every file (folders recursively) through the target(s), without AFL
// Targets: bosh-body, ws-message, stream-reader, bosh-session, address-checks.
if (args.Length == 0 || !(args[0] == "all" || FuzzTargets.All.ContainsKey(args[0])))
{
    Console.Error.WriteLine($"usage: BoshGateway.Fuzz <{string.Join('|', FuzzTargets.All.Keys)}> [--replay <file-or-folder>...]");
    Console.Error.WriteLine("       BoshGateway.Fuzz all --replay <file-or-folder>...");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay")
{
    return Replay(args[0] == "all" ? [.. FuzzTargets.All.Keys] : [args[0]], args[2..]);
}
if (args[0] == "all")
{
    Console.Error.WriteLine("'all' is for --replay only");
    return 2;
}

var target = FuzzTargets.All[args[0]];
var perOperation = FuzzTargets.PlaysOneOperationPerByte(args[0]);
var buffer = new MemoryStream();
Fuzzer.Run(stream =>
{
    buffer.SetLength(0);
    stream.CopyTo(buffer);
    Oracle.Run(target, buffer.ToArray(), perOperation: perOperation);
});
return 0;

static int Replay(string[] targets, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p])
        .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.Contains("/.state/", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();
    var crashes = 0;
    foreach (var name in targets)
    {
        var target = FuzzTargets.All[name];
        var perOperation = FuzzTargets.PlaysOneOperationPerByte(name);
        int accepted = 0, refused = 0, crashed = 0;
        var slowest = TimeSpan.Zero;
        // Warm up (JIT, static set-up) untimed, as Fuzzer.Run's first, discarded run does: the 1 s bound is for inputs.
        foreach (var file in files.Take(3))
        {
            try
            {
                Oracle.Run(target, File.ReadAllBytes(file), maxDuration: TimeSpan.Zero, perOperation: perOperation);
            }
            catch (Exception)
            {
                // reported below
            }
        }
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                if (Oracle.Run(target, input, perOperation: perOperation))
                {
                    refused++;
                }
                else
                {
                    accepted++;
                }
            }
            catch (Exception ex)
            {
                crashed++;
                Console.WriteLine($"CRASH {name} {file}: {ex.GetType().Name}: {ex.Message}");
                Console.WriteLine(ex.StackTrace);
                if (ex.InnerException is { } inner)
                {
                    Console.WriteLine($"  inner {inner.GetType().Name}: {inner.Message}");
                }
            }
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            slowest = elapsed > slowest ? elapsed : slowest;
        }
        Console.WriteLine($"{name}: {files.Count} inputs replayed: {accepted} accepted, {refused} refused, {crashed} crashed; slowest {slowest.TotalMilliseconds:F1} ms");
        crashes += crashed;
    }
    return crashes == 0 ? 0 : 1;
}
