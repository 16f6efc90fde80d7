using BenchmarkDotNet.Running;
using BoshGateway.Benchmarks;

// dotnet run -c Release --project bench/BoshGateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(XmlStreamReaderBenchmarks).Assembly).Run(args);
