module netipc-go-peer

go 1.19
