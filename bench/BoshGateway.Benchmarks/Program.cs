using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/BoshGateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point.</summary>
public partial class Program;
