// Package deploy holds no code: its tests check that docker-compose.yml and
// the Dockerfile at the repository root agree with the program (the
// variables it reads, its port, its health check, its commands), since no
// Docker engine runs in CI.
package deploy
