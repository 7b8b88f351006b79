// Package awsemu is the sandbox's AWS: moto (Moto) on a loopback port behind
// the validating STS front (package stsfront, served by FrontServer, which
// resolves the cluster's JWKS at the apiserver through IssuerKeys), the
// ec2-metadata-mock serving a node role (IMDS), the administrator's SDK
// configuration with dummy keys (AdminConfig), the variables that point AWS
// clients at the front (EndpointVars), and the IAM and EKS objects a world
// creates in moto (ApplyIAM, EnsureCluster). No client it configures ever
// reaches a non-loopback address.
package awsemu
