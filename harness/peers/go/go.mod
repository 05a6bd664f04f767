module netipc-go-peer

go 1.19

require netipc-kit v0.0.0

replace netipc-kit => ../../kits/go
