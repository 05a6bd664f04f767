module netipc-kit

go 1.19
