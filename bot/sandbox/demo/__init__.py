"""`incidentbot demo`: scenes of one incident, played against the local Slack stand-in."""
