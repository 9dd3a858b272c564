package api

// Cluster codes: a gateway of several nodes.
const (
	// CodeNodeDraining: the node is being taken out of service. A client
	// with other nodes in its profile moves there (its session with it);
	// svpnd does so without asking the user.
	CodeNodeDraining Code = "node_draining"
	// CodeNoGatewayNode: none of the profile's gateway nodes answered.
	CodeNoGatewayNode Code = "no_gateway_node"
)

// clusterEntries are the codes of a gateway cluster.
var clusterEntries = []Entry{
	{Code: CodeNodeDraining, Number: 440, HTTPStatus: 503, Kind: KindNetwork,
		Ko: "접속한 게이트웨이 서버가 점검을 위해 서비스를 중단하는 중입니다. 다른 서버로 자동 연결합니다.",
		En: "This gateway server is being taken out of service for maintenance. Connecting through another one."},
	{Code: CodeNoGatewayNode, Number: 441, HTTPStatus: 0, Kind: KindNetwork,
		Ko: "원격근무서비스의 어느 게이트웨이 서버에도 연결할 수 없습니다. 인터넷 연결을 확인하고 잠시 후 다시 시도하세요.",
		En: "None of the service's gateway servers can be reached. Check the internet connection and try again shortly."},
}
