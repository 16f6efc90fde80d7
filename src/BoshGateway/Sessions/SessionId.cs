using System.Security.Cryptography;

namespace BoshGateway.Sessions;

/// <summary>Session ids: 128 bits from the OS CSPRNG, lower-case hex (XEP-0124 §19.3: unpredictable, never repeated).</summary>
public static class SessionId
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
