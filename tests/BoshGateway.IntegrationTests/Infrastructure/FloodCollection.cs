namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Floods (thousands of sessions, requests or pushed megabytes at once, and the memory they measure) go alone,
/// after the parallel tests: on a 2-core machine their load would slow the tests beside them into their
/// deadlines, and another test's process would blur what they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FloodCollection
{
    public const string Name = "Floods";
}
