using BoshGateway.Backend;

namespace BoshGateway.Tests.Sessions;

/// <summary>Hands out <see cref="FakeBackendLink"/>s, or fails as a server would.</summary>
internal sealed class FakeConnector : IBackendConnector
{
    public List<FakeBackendLink> Links { get; } = [];

    /// <summary>When set, the next connect fails with it.</summary>
    public Exception? Failure { get; set; }

    public Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken)
    {
        if (Failure is { } failure)
        {
            return Task.FromException<IBackendLink>(failure);
        }
        var link = new FakeBackendLink();
        Links.Add(link);
        return Task.FromResult<IBackendLink>(link);
    }
}
