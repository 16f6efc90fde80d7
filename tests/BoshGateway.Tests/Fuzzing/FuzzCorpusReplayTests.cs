using BoshGateway.Fuzz.Targets;

namespace BoshGateway.Tests.Fuzzing;

/// <summary>
/// Every committed fuzz seed (fuzz/corpus, crashes found by AFL++ included once fixed) through every fuzz target,
/// with the fuzzer's oracle: only the documented protocol exceptions, bounded allocation, every forwarded or
/// answered byte well-formed, every request answered. The same code afl-fuzz runs (linked from fuzz/BoshGateway.Fuzz/Targets).
/// </summary>
public class FuzzCorpusReplayTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryCorpusInput_PassesTheOracle(string target)
    {
        var run = FuzzTargets.All[target];
        var files = Directory.EnumerateFiles(CorpusRoot(), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                Oracle.Run(run, File.ReadAllBytes(file), maxDuration: TimeSpan.Zero, perOperation: FuzzTargets.PlaysOneOperationPerByte(target));
            }
            catch (Exception ex)
            {
                failures.Add($"{Path.GetRelativePath(CorpusRoot(), file)}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        Assert.Empty(failures);
    }

    private static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var corpus = Path.Combine(dir.FullName, "fuzz", "corpus");
            if (Directory.Exists(corpus))
            {
                return corpus;
            }
        }
        throw new DirectoryNotFoundException("fuzz/corpus not found above " + AppContext.BaseDirectory);
    }
}
