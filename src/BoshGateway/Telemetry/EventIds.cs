namespace BoshGateway.Telemetry;

/// <summary>
/// Every log event id of the gateway, in one place, by area; <c>EventName</c> is the constant's name.
/// A unit test checks that no two log messages share an id or a name.
/// </summary>
internal static class EventIds
{
    // Sessions, both transports (1000-1049).
    public const int SessionStarted = 1000;
    public const int SessionEnded = 1001;
    public const int AddressRefused = 1002;
    public const int BackendUnreachable = 1003;
    public const int BackendRefusedStream = 1004;
    public const int SessionTickFailed = 1020;
    public const int SessionsShutDown = 1021;
    public const int SweepLate = 1022;
    public const int ShutdownGraceStarted = 1023;
    public const int SendQueueStalled = 1030;
    public const int UntrustedForwardedFor = 1031;

    // BOSH (1050-1099).
    public const int BoshSessionTerminated = 1050;
    public const int BoshRidReplayed = 1051;
    public const int BoshClientTerminated = 1052;
    public const int BoshInactivityTimeout = 1053;
    public const int BoshNotAuthenticatedInTime = 1059;
    public const int BoshRidGapExpired = 1054;
    public const int BoshReadingPaused = 1055;
    public const int BoshStartTlsRefused = 1056;
    public const int BoshBadRequest = 1060;
    public const int BoshOriginRefused = 1061;
    public const int SessionDirectoryUnavailable = 1062;
    public const int BoshInsecureRequestRefused = 1063;
    public const int BoshBodyNotRead = 1064;
    public const int BoshAnswerNotTaken = 1065;
    public const int BoshHeldRequestCut = 1066;

    // WebSocket (1100-1199).
    public const int WebSocketStreamError = 1101;
    public const int WebSocketEnded = 1102;
    public const int WebSocketStartTlsRefused = 1103;
    public const int WebSocketRefused = 1110;

    // Backend streams (1200-1299).
    public const int BackendStreamEnded = 1200;
    public const int BackendWriteFailed = 1201;
    public const int BackendCertificateRejected = 1202;
    public const int BackendStalled = 1203;
    public const int BackendConnected = 1210;
    public const int BackendConnectFailed = 1211;
    public const int BackendDestinationOut = 1230;
    public const int BackendDestinationBack = 1231;
    public const int BackendConnectQueueFull = 1232;
    public const int BackendPoolTaskFailed = 1233;
    public const int BackendNoDestination = 1234;

    // Backend discovery by DNS SRV (1260-1269).
    public const int SrvLookupFailed = 1260;
    public const int SrvLookupPartlyFailed = 1261;
    public const int SrvServiceNotAvailable = 1262;
    public const int SrvLookedUp = 1263;

    // Cluster (1300-1399).
    public const int RedisConnectionFailed = 1300;
    public const int RedisConnectionRestored = 1301;
    public const int RedisNotConnectedAtStart = 1302;
    public const int SessionRegisterFailed = 1310;
    public const int SessionLookupFailed = 1311;
    public const int NodeJoined = 1320;
    public const int HeartbeatFailed = 1321;
    public const int DuplicateNodeId = 1322;
    public const int SessionsRepublished = 1323;
    public const int LeaseLost = 1324;
    public const int LeaveFailed = 1325;
    public const int OwnerLeaseExpired = 1326;
    public const int CancelForwardsFailed = 1327;
    public const int ForwardFailed = 1330;
    public const int ForwardingToOwner = 1340;
    public const int OwnerGone = 1341;
    public const int ReplayedFromDirectory = 1342;
    public const int ForgedForward = 1343;
    public const int OwnerUnreachable = 1344;
    public const int ForwardAccepted = 1345;

    // Hosting and pages (1400-1499).
    public const int DemoPageServing = 1400;
    public const int DemoPageAssetsMissing = 1401;
    public const int StatusPageServing = 1410;
    public const int StatusPageAssetsMissing = 1411;
    public const int StatusSampleFailed = 1412;

    // Token prebind (1500-1509).
    public const int PrebindRefused = 1500;
    public const int PrebindLoggedIn = 1501;
    public const int PrebindFailed = 1502;
}
