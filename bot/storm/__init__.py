"""Alert storms: the cap on incidents per alert source and window, and the storm incident."""
