using BoshGateway.IntegrationTests.Infrastructure;

[assembly: AssemblyFixture(typeof(XmppServers))]
