using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace BoshGateway.Backend;

/// <summary>
/// The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt §2.2): the first bytes of a stream
/// toward a server that accepts it, naming the client the gateway speaks for. TCP over IPv4 or IPv6; the
/// destination is the server's own address, in the client's family. Without a client: the LOCAL command
/// (the server uses the connection's own addresses).
/// </summary>
public static class ProxyProtocolHeader
{
    private static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static byte[] Create(IPAddress? client, int clientPort, IPEndPoint server)
    {
        if (client is null)
        {
            var local = new byte[16];
            Signature.CopyTo(local);
            local[12] = 0x20; // version 2, LOCAL
            return local;   // family 0 (unspecified), length 0
        }
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }
        var destination = server.Address.IsIPv4MappedToIPv6 ? server.Address.MapToIPv4() : server.Address;
        if (client.AddressFamily != destination.AddressFamily)
        {
            client = client.MapToIPv6();
            destination = destination.MapToIPv6();
        }
        var ipv4 = client.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 4 : 16;
        var header = new byte[16 + (2 * addressLength) + 4];
        Signature.CopyTo(header);
        header[12] = 0x21; // version 2, PROXY
        header[13] = ipv4 ? (byte)0x11 : (byte)0x21; // AF_INET / AF_INET6, STREAM
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)((2 * addressLength) + 4));
        client.TryWriteBytes(header.AsSpan(16, addressLength), out _);
        destination.TryWriteBytes(header.AsSpan(16 + addressLength, addressLength), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + (2 * addressLength)), (ushort)clientPort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + (2 * addressLength)), (ushort)server.Port);
        return header;
    }
}
