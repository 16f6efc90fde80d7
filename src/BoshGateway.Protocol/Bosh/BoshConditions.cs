namespace BoshGateway.Protocol.Bosh;

/// <summary>XEP-0124 §17.2 terminal binding conditions.</summary>
public static class BoshConditions
{
    public const string BadRequest = "bad-request";
    public const string HostGone = "host-gone";
    public const string HostUnknown = "host-unknown";
    public const string ImproperAddressing = "improper-addressing";
    public const string InternalServerError = "internal-server-error";
    public const string ItemNotFound = "item-not-found";
    public const string OtherRequest = "other-request";
    public const string PolicyViolation = "policy-violation";
    public const string RemoteConnectionFailed = "remote-connection-failed";
    public const string RemoteStreamError = "remote-stream-error";
    public const string SeeOtherUri = "see-other-uri";
    public const string SystemShutdown = "system-shutdown";
    public const string UndefinedCondition = "undefined-condition";
}
