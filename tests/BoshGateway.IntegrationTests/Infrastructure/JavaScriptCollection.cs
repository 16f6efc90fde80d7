namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The StanzaJS runs go alone, after the parallel tests: StanzaJS takes BOSH answers in arrival order,
/// and on a 2-core machine busy with a dozen parallel tests that order can differ from rid order.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JavaScriptCollection
{
    public const string Name = "JavaScript clients";
}
